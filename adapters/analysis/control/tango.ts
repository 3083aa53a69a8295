/**
 * Tango (`import tango`, formerly `PyTango`), from its documentation:
 * `DeviceProxy` reads and writes attributes by method (`read_attribute`,
 * `write_attribute`, ...) and as Python attributes (`proxy.voltage` reads,
 * `proxy.voltage = 3` writes), and runs commands by `command_inout` or as
 * methods (`proxy.On()`). A PV here is `device/attribute` (or
 * `device/command`). A method not in the tables below is a command, which may
 * act on the device: a write.
 */
import { arg, read, self, write, type LibraryModel, type PvSpec } from './model.ts';

const member = (index: number, keyword: string): PvSpec => ({ kind: 'self+arg', arg: arg(index, keyword), join: '/' });
const pairs = (index: number, keyword: string): PvSpec => ({ kind: 'self+tuples', arg: arg(index, keyword), join: '/' });

/** DeviceProxy methods that neither read attributes nor run commands. */
const plain = [
  'ping', 'info', 'name', 'dev_name', 'adm_name', 'alias', 'description', 'get_attribute_list', 'get_command_list',
  'attribute_query', 'attribute_list_query', 'attribute_list_query_ex', 'command_query', 'command_list_query',
  'get_attribute_config', 'get_command_config', 'get_property', 'get_property_list', 'get_timeout_millis',
  'set_timeout_millis', 'get_idl_version', 'import_info', 'black_box', 'is_attribute_polled', 'unsubscribe_event',
  'get_events', 'event_queue_size', 'get_source', 'set_source', 'get_db_host', 'get_db_port', 'get_dev_host',
  'get_dev_port', 'get_access_control', 'read_attribute_reply', 'read_attributes_reply', 'write_attribute_reply',
];

export const tango: LibraryModel = {
  library: 'tango',
  documentation: 'https://pytango.readthedocs.io/ (DeviceProxy, AttributeProxy)',
  aliases: [
    ['PyTango', 'tango'],
    ['tango.device_proxy.DeviceProxy', 'tango.DeviceProxy'],
    ['tango.asyncio.DeviceProxy', 'tango.DeviceProxy'],
    ['tango.gevent.DeviceProxy', 'tango.DeviceProxy'],
    ['tango.futures.DeviceProxy', 'tango.DeviceProxy'],
    ['tango.attribute_proxy.AttributeProxy', 'tango.AttributeProxy'],
  ],
  classes: {
    'tango.DeviceProxy': {
      name: arg(0, 'dev_name'),
      methods: {
        read_attribute: read(member(0, 'attr_name')),
        read_attributes: read(member(0, 'attr_names')),
        read_attribute_asynch: read(member(0, 'attr_name')),
        read_attributes_asynch: read(member(0, 'attr_names')),
        subscribe_event: read(member(0, 'attr_name')),
        state: read(self),
        status: read(self),
        State: read(self),
        Status: read(self),
        write_attribute: write(member(0, 'attr_name'), arg(1, 'value')),
        write_attribute_asynch: write(member(0, 'attr_name'), arg(1, 'value')),
        write_attributes: write(pairs(0, 'name_val')),
        write_attributes_asynch: write(pairs(0, 'name_val')),
        write_read_attribute: write(member(0, 'attr_name'), arg(1, 'value')),
        write_read_attributes: write(pairs(0, 'name_val')),
        command_inout: write(member(0, 'cmd_name'), arg(1, 'cmd_param'), 'runs a device command'),
        command_inout_asynch: write(member(0, 'cmd_name'), arg(1, 'cmd_param'), 'runs a device command'),
        put_property: write(self, arg(0, 'value'), 'changes a device property in the Tango database'),
        delete_property: write(self, arg(0, 'value'), 'deletes a device property in the Tango database'),
      },
      readAttributes: 'any',
      writeAttributes: 'any',
      attributeJoin: '/',
      otherMethods: { access: 'write', pv: { kind: 'self+name', join: '/' }, value: arg(0, 'cmd_param'), note: 'runs the device command of that name' },
      plain,
    },
    'tango.AttributeProxy': {
      name: arg(0, 'name'),
      methods: {
        read: read(self),
        history: read(self),
        write: write(self, arg(0, 'value')),
        write_read: write(self, arg(0, 'value')),
      },
    },
  },
};
