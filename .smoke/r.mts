import { resolvePython } from '/work/main/adapters/kernels/local/index.ts';
console.log(await resolvePython(null));
