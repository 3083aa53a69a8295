# pyexec's configuration for Debian's jupyter-server 1.23 (loaded with --config).
#
# Why each line is here:
# - TCP_NODELAY on the kernel websocket: without it Nagle's algorithm holds the
#   small reply frames back and a trivial execute takes ~44 ms instead of ~3 ms
#   (DESIGN.md). PYEXEC_JUPYTER_NODELAY=0 turns it off, for measurements only.
# - The token comes from PYEXEC_JUPYTER_TOKEN and is removed from the
#   environment here, so kernels (which inherit the server's environment) do
#   not see it in os.environ.
# - When a kernel dies the "restarting" status message also carries how its
#   process ended (pyexec_exit_status: exit code, or minus the signal number),
#   so an execution can say "exited with status 3" or "segmentation fault".
# - IOPub rate limits off: they silently drop output; pyexec caps output in the
#   kernel instead and reports truncation.
# - No server-side culling: the pyexec pool owns its kernels' lifetimes.
# - A dead kernel (segfault, os._exit, out of memory) is noticed within half a
#   second instead of three, so the execution waiting on it ends quickly.
# - A kernel asked to shut down gets two seconds to exit, then SIGTERM and two
#   more seconds before its process group is killed: pyexec throws kernels
#   away after one execution, an idle one exits at once, and the sandbox
#   launcher uses the SIGTERM to kill everything the kernel started before it
#   exits (a busy kernel's result waits for that).
# - A starting kernel is listed with its activity markers: jupyter-server 1.23
#   puts a kernel in its map at launch but sets last_activity and
#   execution_state only after the kernel's first reply, and GET api/kernels
#   in between failed with 500 (AttributeError) - with a warm pool some
#   kernel is nearly always starting.
import json
import os

from jupyter_server._tz import utcnow
from jupyter_server.base.zmqhandlers import serialize_msg_to_ws_v1
from jupyter_server.services.kernels.handlers import ZMQChannelsHandler
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

c = get_config()  # noqa: F821 (provided by traitlets when loading this file)

if os.environ.get("PYEXEC_JUPYTER_NODELAY", "1") != "0":
    _open = ZMQChannelsHandler.open

    def _open_without_nagle(self, *args, **kwargs):
        self.set_nodelay(True)
        return _open(self, *args, **kwargs)

    ZMQChannelsHandler.open = _open_without_nagle



def _exit_status(handler):
    kernel = handler.kernel_manager.get_kernel(handler.kernel_id)
    process = getattr(getattr(kernel, "provisioner", None), "process", None)
    return None if process is None else process.poll()


def _on_kernel_restarted(self):
    self.log.warning("kernel %s restarted", self.kernel_id)
    iopub = self.channels.get("iopub", None)
    if iopub and not iopub.closed():
        iopub.flush()  # everything the dead kernel sent goes out first
    msg = self.session.msg("status", {"execution_state": "restarting", "pyexec_exit_status": _exit_status(self)})
    if self.subprotocol == "v1.kernel.websocket.jupyter.org":
        self.write_message(serialize_msg_to_ws_v1(msg, "iopub", self.session.pack), binary=True)
    else:
        msg["channel"] = "iopub"
        self.write_message(json.dumps(msg, default=str))


ZMQChannelsHandler.on_kernel_restarted = _on_kernel_restarted

_kernel_model = MappingKernelManager.kernel_model


def _kernel_model_while_starting(self, kernel_id):
    kernel = self._kernels.get(kernel_id)
    if kernel is not None and not hasattr(kernel, "last_activity"):
        # What start_kernel sets once the kernel has answered (it sets them again then).
        kernel.execution_state = "starting"
        kernel.reason = ""
        kernel.last_activity = utcnow()
    return _kernel_model(self, kernel_id)


MappingKernelManager.kernel_model = _kernel_model_while_starting

_token = os.environ.pop("PYEXEC_JUPYTER_TOKEN", None)
if _token is not None:
    c.ServerApp.token = _token
c.ServerApp.password = ""
c.ServerApp.open_browser = False
c.ServerApp.iopub_msg_rate_limit = 0.0
c.ServerApp.iopub_data_rate_limit = 0.0
c.MappingKernelManager.cull_idle_timeout = 0
c.KernelRestarter.time_to_dead = 0.5
c.KernelManager.shutdown_wait_time = 4.0
