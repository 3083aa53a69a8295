/**
 * The whole configuration as one zod schema. Every key has a default that
 * runs with nothing installed but Node and Python: in-process bus and store,
 * local Python, the mock generator. Keys follow the seeds' names.
 */
import { z } from 'zod';
import { endpointProblem } from './network-endpoint.ts';

const positiveInt = z.number().int().positive();
const secondsSchema = z.number().positive();

const executionModeSchema = z
  .object({
    kernel_name: z.string().min(1),
    allows_writes: z.boolean(),
    requires_approval: z.boolean().default(false),
    /** Extra environment for the kernel (on top of the scrubbed allow-list). */
    environment: z.record(z.string(), z.string()).default({}),
    /**
     * TCP endpoints the sandboxed code may reach: `none`, or `host:port` entries
     * (e.g. the read-only Channel Access gateway); nothing else (docs/isolation.md).
     */
    network: z
      .union([
        z.literal('none'),
        z.array(z.string().superRefine((text, context) => {
          const problem = endpointProblem(text);
          if (problem !== null) context.addIssue({ code: 'custom', message: `"${text}": ${problem}` });
        })),
      ])
      .default('none'),
  })
  .strict();
export type ExecutionModeConfig = z.infer<typeof executionModeSchema>;

const defaultModes = {
  read_only: {
    kernel_name: 'python3-epics-readonly',
    allows_writes: false,
    requires_approval: false,
    environment: {},
    network: 'none' as const,
  },
  write_access: {
    kernel_name: 'python3-epics-write',
    allows_writes: true,
    requires_approval: true,
    environment: {},
    network: 'none' as const,
  },
};

/**
 * Each generator validates its own section (generators are plugins); here a
 * section is any object. `type` names the implementation when the section's
 * name is not itself a registered generator.
 */
const generatorSectionSchema = z.record(z.string(), z.unknown());

/**
 * The kernels' own sections (`execution.<kernel type>`): each kernel type is
 * built from its section alone (adapters/kernels/registry.ts), plus the
 * settings every kernel shares (modes, isolation, limits).
 */
export const localKernelSectionSchema = z
  .object({
    /** Python interpreter (or a virtualenv folder holding bin/python). */
    python_env_path: z.string().min(1).nullable().default(null),
  })
  .strict()
  .default({ python_env_path: null });
export type LocalKernelSection = z.output<typeof localKernelSectionSchema>;

export const jupyterKernelSectionSchema = z
  .object({
    url: z.string().url().nullable().default(null),
    token: z.string().default(''),
    /** Base URL used in notebook links shown to people. */
    public_url: z.string().url().nullable().default(null),
    /** Warm kernels kept started ahead per execution mode; 0 starts a kernel per execution. */
    pool_size: z.number().int().nonnegative().default(1),
    /** Warm kernels unused this long are shut down; the pool refills on the next execution. */
    pool_idle_seconds: secondsSchema.default(600),
    /** A kernel that does not start (or a server that does not answer) within this is unavailable. */
    start_timeout_seconds: secondsSchema.default(60),
    /** After a timeout the kernel is interrupted; if it has not answered after this long it is killed. */
    interrupt_grace_seconds: secondsSchema.default(2),
  })
  .strict()
  .default({
    url: null,
    token: '',
    public_url: null,
    pool_size: 1,
    pool_idle_seconds: 600,
    start_timeout_seconds: 60,
    interrupt_grace_seconds: 2,
  });
export type JupyterKernelSection = z.output<typeof jupyterKernelSectionSchema>;

const executionSchema = z
  .object({
    code_generator: z.string().min(1).default('mock'),
    generators: z.record(z.string(), generatorSectionSchema).default({}),
    /** `container` is the seeds' name for a Jupyter kernel in a container. */
    execution_method: z
      .enum(['local', 'jupyter', 'container'])
      .default('local')
      .transform((method) => (method === 'container' ? 'jupyter' : method)),
    /**
     * `sandbox`: every kernel runs in the OS sandbox, and no code runs when it cannot
     * be made. `none` runs code unsandboxed: explicit, warned about at start.
     */
    isolation: z.enum(['sandbox', 'none']).default('sandbox'),
    modes: z
      .record(z.string(), executionModeSchema)
      .default(defaultModes)
      .refine((modes) => 'read_only' in modes, 'must define a read_only mode')
      .refine((modes) => Object.values(modes).some((m) => m.allows_writes), 'must define a mode that allows writes'),
    local: localKernelSectionSchema,
    jupyter: jupyterKernelSectionSchema,
  })
  .strict();

const approvalModeSchema = z
  .enum(['disabled', 'all_code', 'control_writes', 'epics_writes'])
  .transform((mode) => (mode === 'epics_writes' ? 'control_writes' : mode));

/** An nkey user public key: `U` and 55 more base32 characters. */
const publicUserKey = z.string().regex(/^U[A-Z2-7]{55}$/, 'must be an nkey user public key (U followed by 55 base32 characters)');

const approvalSchema = z
  .object({
    global_mode: z.enum(['disabled', 'selective', 'all_capabilities']).default('selective'),
    capabilities: z
      .object({
        python_execution: z
          .object({
            enabled: z.boolean().default(true),
            mode: approvalModeSchema.default('control_writes'),
          })
          .strict()
          .default({ enabled: true, mode: 'control_writes' }),
      })
      .strict()
      .default({ python_execution: { enabled: true, mode: 'control_writes' } }),
    /** Time a human has to decide before the execution ends as `expired`. */
    deadline_seconds: secondsSchema.default(3600),
    /** A decision counts only when signed by a key in `approvers` (docs/review.md). */
    require_signed_decisions: z.boolean().default(false),
    /** Public nkeys (ed25519, `U…`) of approvers, as printed by `pyexec keys create`. */
    approvers: z.array(publicUserKey).default([]),
  })
  .strict()
  .refine(
    (approval) => !approval.require_signed_decisions || approval.approvers.length > 0,
    { message: 'require_signed_decisions needs at least one key in approval.approvers', path: ['approvers'] },
  );

const defaultWritePatterns = [
  String.raw`\bcaput\s*\(`,
  String.raw`\.put\s*\(`,
  String.raw`\bepics\.caput\b`,
  String.raw`\bwrite_channel\s*\(`,
];
const defaultReadPatterns = [
  String.raw`\bcaget\s*\(`,
  String.raw`\.get\s*\(`,
  String.raw`\bepics\.caget\b`,
  String.raw`\bread_channel\s*\(`,
];

const regexSource = z.string().refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

const controlSystemSchema = z
  .object({
    type: z.enum(['epics', 'mock']).default('epics'),
    writes_enabled: z.boolean().default(false),
    patterns: z
      .object({
        write: z.array(regexSource).default(defaultWritePatterns),
        read: z.array(regexSource).default(defaultReadPatterns),
      })
      .strict()
      .default({ write: defaultWritePatterns, read: defaultReadPatterns }),
    /** The channel limits database (docs/limits.md): checked at analysis and before every write at run time. */
    limits: z
      .object({
        /** The peer's limits JSON file; null: no limits are checked. */
        file: z.string().min(1).nullable().default(null),
        /** Writes to a channel the file does not list: refused, or allowed without limits. */
        policy: z.enum(['deny_unlisted', 'allow_unlisted']).default('deny_unlisted'),
      })
      .strict()
      .default({ file: null, policy: 'deny_unlisted' }),
  })
  .strict();

/** An argument of a modelled call: its position, and the keyword a caller may pass it by. */
const libraryArgumentSchema = z.object({ arg: z.number().int().nonnegative(), keyword: z.string().min(1).optional() }).strict();
const libraryCallSchema = z
  .object({
    access: z.enum(['read', 'write']),
    /** Where the PV name is: an argument, `self` (the object's own name), or `none`. */
    pv: z.union([z.literal('self'), z.literal('none'), libraryArgumentSchema]),
    /** Where a write's value is. */
    value: libraryArgumentSchema.optional(),
  })
  .strict();
const qualifiedName = z.string().regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/, 'must be a qualified name such as facility.io.set_magnet');
/** A control-system client library the analyzer does not know, described like its built-in tables (docs/analysis.md). */
const librarySchema = z
  .object({
    library: z.string().min(1),
    functions: z.record(qualifiedName, libraryCallSchema).default({}),
    classes: z
      .record(
        qualifiedName,
        z
          .object({
            /** Where the constructor takes the object's name (its PV or device). */
            name: libraryArgumentSchema.optional(),
            methods: z.record(z.string().min(1), libraryCallSchema).default({}),
            read_attributes: z.array(z.string().min(1)).default([]),
            write_attributes: z.union([z.literal('any'), z.array(z.string().min(1))]).default([]),
          })
          .strict(),
      )
      .default({}),
  })
  .strict();

const analysisSchema = z
  .object({
    /**
     * Severity per rule id (`info | warning | blocking`), overriding the
     * built-in strict defaults (docs/analysis.md lists the rules). The
     * analyzer rejects unknown rule ids when it is created.
     */
    rule_severity: z.record(z.string(), z.enum(['info', 'warning', 'blocking'])).default({}),
    /** Code larger than this (UTF-8 bytes) is not parsed: a blocking finding. */
    max_code_bytes: positiveInt.default(1_000_000),
    /** Syntax trees with more nodes, or nested deeper, are refused (bounded time, no stack overflow). */
    max_nodes: positiveInt.default(1_000_000),
    max_depth: positiveInt.default(1_000),
    /** Parsing is cancelled after this long. */
    parse_timeout_ms: positiveInt.default(2_000),
    /** Client libraries modelled on top of the built-in ones. */
    libraries: z.array(librarySchema).default([]),
  })
  .strict();

const pythonExecutorSchema = z
  .object({
    max_generation_retries: positiveInt.default(3),
    max_execution_retries: positiveInt.default(3),
    execution_timeout_seconds: secondsSchema.default(600),
  })
  .strict();

const limitsSchema = z
  .object({
    /** Bytes of stdout and of stderr kept per execution; the rest is cut. */
    output_cap_bytes: positiveInt.default(1_000_000),
    memory_mb: positiveInt.default(4096),
    cpu_seconds: positiveInt.default(3600),
    /** Bytes (JSON) of an earlier execution's results a request may take through `context_from`. */
    context_from_bytes: positiveInt.default(1_000_000),
  })
  .strict();

const retrySchema = z
  .object({
    /** Infrastructure failures (LLM API down, kernel unreachable) retried at most this often per stage. */
    infrastructure_max_retries: z.number().int().nonnegative().default(5),
    backoff_base_ms: positiveInt.default(500),
    backoff_max_ms: positiveInt.default(30_000),
    /** How long the supervisor waits for a generator or analyzer reply. */
    command_timeout_seconds: secondsSchema.default(300),
  })
  .strict();

const serviceSchema = z
  .object({
    executions_root: z.string().min(1).default('./executions'),
    /** Folder for the file-backed KV of the embedded default; null keeps state in memory. */
    state_dir: z.string().min(1).nullable().default(null),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  })
  .strict();

const uiUserSchema = z
  .object({
    name: z.string().min(1).regex(/^[A-Za-z0-9._@-]+$/, 'may hold only letters, digits, ".", "_", "@" and "-"'),
    /** `scrypt$N$r$p$salt$hash` (base64url), as printed by `pyexec keys hash-password`; never the password. */
    password_hash: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/, 'must be a scrypt hash from `pyexec keys hash-password`'),
    /** `approver` may decide; `viewer` (or any other role) may only look. */
    roles: z.array(z.enum(['approver', 'viewer'])).default(['viewer']),
  })
  .strict();

/** The operators' review page (`pyexec serve --ui`). */
const uiSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8321),
    users: z.array(uiUserSchema).default([]),
    /** Seed file of the key the page signs decisions with (`pyexec keys create`); null: unsigned. */
    signing_key_file: z.string().min(1).nullable().default(null),
    /** Idle time after which a login expires. */
    session_idle_seconds: secondsSchema.default(8 * 3600),
    /** Path prefix when a reverse proxy serves the page under one ("/pyexec"); "" serves it at the root. */
    base_path: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'must be "" or path segments each starting with "/", without a trailing "/" (e.g. "/pyexec")')
      .default(''),
    /** Host names the page answers to (the Host header), against DNS rebinding; null: the loopback names and ui.host. */
    allowed_hosts: z.array(z.string().min(1)).nullable().default(null),
    /** Mark the session cookie Secure (TLS ends at a proxy). A request that came over https gets it anyway. */
    secure_cookies: z.boolean().default(false),
    /** Addresses of reverse proxies whose X-Forwarded-For / -Proto / -Host are believed (client address, https). */
    trusted_proxies: z.array(z.string().min(1)).default([]),
  })
  .strict();

/** Metrics, health endpoints and traces (docs/operations.md). */
const observabilitySchema = z
  .object({
    /** Port of /metrics, /healthz and /readyz; null: off (`--metrics-port` sets it per process). */
    metrics_port: z.number().int().min(0).max(65535).nullable().default(null),
    /** Address the metrics port listens on: loopback unless the scraper is elsewhere. */
    metrics_host: z.string().min(1).default('127.0.0.1'),
    /** OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); null: no traces are exported. */
    otlp_endpoint: z.string().url().nullable().default(null),
    /** How spans are encoded on the wire: protobuf (OTLP's default, a third of JSON's bytes) or JSON. */
    otlp_protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
    /** service.name of the exported spans. */
    service_name: z.string().min(1).default('pyexec'),
  })
  .strict();

/** The MCP server (`pyexec mcp`, docs/mcp.md). */
const mcpSchema = z
  .object({
    /** Address and port of the Streamable HTTP transport (`pyexec mcp --http`). */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8322),
    /** Ask the agent's user for the approval (MCP elicitation) when the client can; any other approver may still decide. */
    elicit_approvals: z.boolean().default(false),
    /** Characters of stdout and of stderr a tool result carries; the rest is in the execution folder. */
    output_chars: positiveInt.default(8_000),
  })
  .strict();

export const configSchema = z
  .object({
    python_executor: pythonExecutorSchema.default(pythonExecutorSchema.parse({})),
    execution: executionSchema.default(executionSchema.parse({})),
    approval: approvalSchema.default(approvalSchema.parse({})),
    control_system: controlSystemSchema.default(controlSystemSchema.parse({})),
    analysis: analysisSchema.default(analysisSchema.parse({})),
    limits: limitsSchema.default(limitsSchema.parse({})),
    retry: retrySchema.default(retrySchema.parse({})),
    service: serviceSchema.default(serviceSchema.parse({})),
    ui: uiSchema.default(uiSchema.parse({})),
    observability: observabilitySchema.default(observabilitySchema.parse({})),
    mcp: mcpSchema.default(mcpSchema.parse({})),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
