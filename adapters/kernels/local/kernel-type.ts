/** The local kernel as a kernel type (`execution_method: local`), built from `execution.local`. */
import { localKernelSectionSchema } from '../../../config/schema.ts';
import { defineKernelType } from '../registry.ts';
import { createLocalKernel } from './local-kernel.ts';
import { localKernelOptions } from './options.ts';

export const localKernelType = defineKernelType(localKernelSectionSchema, (section, context) => createLocalKernel(localKernelOptions(section, context)));
