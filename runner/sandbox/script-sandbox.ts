import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { format } from 'node:util';
import { NodeVM, type NodeVMOptions } from 'vm2';
import {
  WRAPPER_LINES,
  compileTypeScript,
  wrapModule,
  wrapScript,
  type CompiledCode,
  type WrappedCode,
} from '../compile.js';
import type {
  CloseReason,
  LogLevel,
  RequestData,
  RunnerToHost,
  ScriptErrorCode,
  ScriptErrorInfo,
} from '../messages.js';
import { isServedAsStatic } from '../../lib/http/routes.js';
import type { SharedAnswer } from '../../lib/shared/shared-op.js';
import { loadPackage } from '../packages/load-package.js';
import { jailedFs } from '../fs-jail/facade.js';
import { importRefusal } from '../fs-jail/imports.js';
import { hostWeb, pageContext } from './host-web.js';
import { guardFdMethod } from './fd-options.js';
import { preludeSource } from './prelude-source.js';
import type {
  DispatchOutcome,
  EncodedRenderResult,
  EncodedRequest,
  Json,
  PortMessage,
  RawScriptError,
  SandboxApi,
  SandboxBoot,
} from './api.js';
import { decodeRenderResult, encodeRequest, fromJson, toJson } from './codec.js';
import { ScriptError, codeFrame } from '../script-error.js';
import { explainBufferLimit } from './buffer-limit.js';
import { scriptEnv, type SandboxSettings } from './sandbox-settings.js';

export type { SandboxSettings };

/**
 * One version of one script: a vm2 NodeVM holding the prelude, the script's per-page factory
 * and the partials it imports. Pages are created by calling the factory, so a page costs a
 * closure (kilobytes), not a VM (~270 KB and 2.4 ms each).
 */
export class ScriptSandbox {
  /** The script, relative to the scripts folder (`blog/[slug].ts`). */
  readonly script: string;
  readonly #settings: SandboxSettings;
  readonly #emit: (message: RunnerToHost) => void;
  readonly #vm: NodeVM;
  readonly #api: SandboxApi;
  /** Every file run in this VM, for positions and code frames. */
  readonly #files = new Map<string, LoadedFile>();

  /** Loads and compiles `script`. Throws a `ScriptError` a developer can act on. */
  constructor(settings: SandboxSettings, script: string, emit: (message: RunnerToHost) => void) {
    this.script = script;
    this.#settings = settings;
    this.#emit = emit;
    const boot: SandboxBoot = {
      script,
      root: settings.root.split(path.sep).join('/'),
      node: settings.node,
      port: (...message) => this.#onPort(message),
      resolvePartial: (fromFile, specifier) => this.#resolvePartial(fromFile, specifier),
      runPartial: (file) => this.#runPartial(file),
      loadPackage: (specifier) => loadPackage(specifier, settings.root, settings.forbiddenModules),
      guardFdMethod,
      builtinModules: [...builtinModules],
      forbiddenModules: [...settings.forbiddenModules],
      reservedEvents: [...settings.reservedEvents],
      maxQueuedEvents: settings.maxQueuedEvents,
      maxResponseBytes: settings.maxResponseBytes,
      maxSharedKeyBytes: settings.maxSharedKeyBytes,
      maxSharedValueBytes: settings.maxSharedValueBytes,
      web: hostWeb(),
      pageContext: pageContext(),
      ...(settings.clock ? { clock: settings.clock } : {}),
    };
    this.#vm = new NodeVM({
      console: 'redirect',
      eval: false,
      wasm: false,
      strict: true,
      // A host Buffer crosses vm2's bridge key by key: see buffer-limit.ts (vm2's types lack it).
      bufferAllocLimit: settings.maxScriptBufferBytes,
      sandbox: { __pagewireBoot: boot },
      // Only the variables the app lists (a copy: a script's writes stay in its sandbox), for
      // settings such as DATABASE_URL: never the server's secrets. Packages, host code, read all.
      env: scriptEnv(settings.env),
      // `context: 'sandbox'` keeps modules inside the sandbox; `external: []` is required for
      // vm2 to resolve any module, built-ins included. Relative partials are loaded by us.
      require: {
        builtin: ['*', ...settings.forbiddenModules.map((name) => `-${name}`)],
        external: [],
        context: 'sandbox',
        // `fs`, `node:fs` and `fs/promises` are the jailed facade, not the host's modules.
        mock: jailedFs(settings.root, settings.fsJail, settings.maxScriptBufferBytes),
      },
    } as NodeVMOptions);
    // Read-only in the sandbox, as vm2 makes Node's built-in modules: a script cannot change the
    // host's URL, fetch or crypto (for the host, every sandbox, and what they make).
    this.#vm.readonly(boot.web);
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      this.#vm.on(`console.${level}`, (...parts: unknown[]) => this.#log(level, parts));
    }
    this.#vm.on('console.log', (...parts: unknown[]) => this.#log('info', parts));
    this.#api = (this.#vm.run(preludeSource(), 'pagewire:prelude') as { default: SandboxApi }).default;

    const source = this.#read(script);
    const compiled = compileTypeScript(source, script);
    try {
      this.#run(script, source, compiled, wrapScript(compiled.code, false));
    } catch (error) {
      // Top-level `await` needs the async factory; try it only when the sync one cannot parse.
      if (!(error instanceof ScriptError) || !/\bawait\b/.test(compiled.code)) throw error;
      this.#run(script, source, compiled, wrapScript(compiled.code, true));
    }
  }

  /** Renders a page; `rendered` or `render-failed` is emitted now, or later for async scripts. */
  render(pageId: string, request: RequestData | EncodedRequest): void {
    const result = this.#api.render(pageId, typeof request === 'string' ? request : encodeRequest(request));
    if (result !== '') this.#emitRender(pageId, result);
  }

  dispatch(pageId: string, name: string, data: string, seq = 0, key = ''): DispatchOutcome {
    return this.#api.dispatch(pageId, name, data, seq, key);
  }

  /** Closes pages; returns those closed now (the others report when their hooks settle). */
  closePages(pageIds: string[], reason: CloseReason): string[] {
    const done = this.#api.closePages(pageIds.join(','), reason);
    return done === '' ? [] : done.split(',');
  }

  deliver(channel: string, data: string): void {
    this.#api.deliver(channel, data);
  }

  /** The answer to a page's `shared` call; a page gone meanwhile drops it. */
  sharedAnswer(pageId: string, callId: number, answer: SharedAnswer): void {
    this.#api.sharedAnswer(pageId, callId, toJson(answer));
  }

  /** Stops what module code started; the sandbox is then left to the garbage collector. */
  dispose(): void {
    this.#api.dispose();
  }

  /** True when `file` (relative) is this script or one of the partials it loaded. */
  uses(file: string): boolean {
    return this.#files.has(file);
  }

  /**
   * What `file` holds now compared with what this sandbox runs: `same`, `changed`, or `empty`
   * (an editor may truncate a file an instant before writing it).
   */
  compare(file: string): 'same' | 'changed' | 'empty' {
    let now: string;
    try {
      now = this.#readSource(file);
    } catch {
      return 'changed';
    }
    const loaded = this.#files.get(file)?.source;
    if (now === loaded) return 'same';
    return now === '' ? 'empty' : 'changed';
  }

  /**
   * A stack formatted in this sandbox, its positions mapped back to the sources; `undefined`
   * when no frame is in a file of this sandbox.
   */
  sourceStack(stack: string): string | undefined {
    let owned = false;
    const mapped = stack.replace(SOURCE_POSITION, (whole, file: string, line: string, column: string) => {
      const loaded = this.#files.get(file);
      if (!loaded) return whole;
      owned = true;
      const position = loaded.position(Number(line), Number(column));
      return `${file}:${position.line}:${position.column}`;
    });
    return owned ? mapped : undefined;
  }

  #onPort(message: PortMessage): void {
    switch (message[0]) {
      case 'push': {
        const [, pageId, name, data] = message;
        return this.#emit({ type: 'push', pageId, name, data });
      }
      case 'broadcast': {
        const [, name, data] = message;
        return this.#emit({ type: 'broadcast', script: this.script, name, data });
      }
      case 'publish': {
        const [, channel, data] = message;
        return this.#emit({ type: 'publish', channel, data });
      }
      case 'closed': {
        const [, pageId, reason] = message;
        return this.#emit({ type: 'page-closed', pageId, reason });
      }
      case 'error': {
        const [, pageId, code, error] = message;
        const info = this.#errorInfo(fromJson(error), code);
        return this.#emit({ type: 'script-error', script: this.script, pageId, error: info });
      }
      case 'log': {
        const [, pageId, level, text] = message;
        return this.#emit({ type: 'log', script: this.script, pageId, level, text });
      }
      case 'rendered': {
        const [, pageId, result] = message;
        return this.#emitRender(pageId, result);
      }
      case 'options': {
        const [, pageId, disconnectGrace] = message;
        return this.#emit({ type: 'page-options', pageId, disconnectGrace });
      }
      case 'shared': {
        const [, pageId, callId, op] = message;
        return this.#emit({ type: 'shared-call', pageId, callId, op: fromJson(op) });
      }
      case 'done': {
        const [, pageId, seq] = message;
        return this.#emit({ type: 'event-done', pageId, seq });
      }
      default: {
        const unknown: never = message;
        throw new Error(`unknown sandbox message ${JSON.stringify(unknown)}`);
      }
    }
  }

  #emitRender(pageId: string, encoded: EncodedRenderResult): void {
    const result = decodeRenderResult(encoded);
    if (!result.ok) {
      this.#emit({ type: 'render-failed', pageId, error: this.#errorInfo(result.error, 'RENDER_ERROR') });
      return;
    }
    const { status, headers, live, body } = result;
    this.#emit({ type: 'rendered', pageId, status, headers, live, body });
  }

  #log(level: LogLevel, parts: unknown[]): void {
    this.#emit({ type: 'log', script: this.script, level, text: format(...parts) });
  }

  /** Turns the sandbox's raw frames into `file:line:col`, a stack and a code frame. */
  #errorInfo(raw: RawScriptError, code: ScriptErrorCode): ScriptErrorInfo {
    const frames = raw.frames
      .filter((frame) => this.#files.has(frame.file))
      .map((frame) => {
        const loaded = this.#files.get(frame.file) as LoadedFile;
        return { ...frame, ...loaded.position(frame.line, frame.column) };
      });
    const top = frames[0];
    const at = (f: (typeof frames)[number]) =>
      `    at ${f.fn ? `${f.fn} (` : ''}${f.file}:${f.line}:${f.column}${f.fn ? ')' : ''}`;
    const stack = [`${raw.name}: ${raw.message}`, ...frames.map(at)].join('\n');
    const message = explainBufferLimit(raw.message, this.#settings.maxScriptBufferBytes);
    const info: ScriptErrorInfo = { code, name: raw.name, message, stack, file: top?.file ?? this.script };
    if (top) {
      info.line = top.line;
      info.column = top.column;
      const source = this.#files.get(top.file)?.source;
      if (source) info.frame = codeFrame(source, top.line, top.column);
    }
    return info;
  }

  #readSource(file: string): string {
    const { readSource, root } = this.#settings;
    return readSource ? readSource(file) : readFileSync(path.join(root, file), 'utf8');
  }

  #read(file: string): string {
    try {
      return this.#readSource(file);
    } catch (error) {
      const message = `cannot read ${file}: ${(error as Error).message}`;
      throw new ScriptError({ code: 'SCRIPT_NOT_FOUND', name: 'Error', message, file });
    }
  }

  /** Runs wrapped code in the VM; a syntax error becomes a ScriptError at the right position. */
  #run(file: string, source: string, compiled: CompiledCode, wrapped: WrappedCode): void {
    const loaded = loadedFile(source, compiled);
    this.#files.set(file, loaded);
    try {
      this.#vm.run(wrapped.code, file);
    } catch (error) {
      throw syntaxError(error, file, loaded);
    }
  }

  /** Returns the partial's name relative to the scripts folder, or `!` and a message. */
  #resolvePartial(fromFile: string, specifier: string): string {
    const wanted = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
    if (wanted.startsWith('../') || wanted === '..' || path.posix.isAbsolute(wanted)) {
      return `!Cannot import '${specifier}' in ${fromFile}: it is outside the scripts folder`;
    }
    const candidates = PARTIAL_FILE.test(wanted) ? [wanted] : [`${wanted}.ts`, `${wanted}/index.ts`];
    // A partial may be JavaScript too: `./x` finds x.ts, x/index.ts, then x.js, x/index.js.
    const withJs = PARTIAL_FILE.test(wanted) ? candidates : [...candidates, `${wanted}.js`, `${wanted}/index.js`];
    for (const candidate of withJs) {
      const full = path.join(this.#settings.root, candidate);
      if (!existsSync(full) || !statSync(full).isFile()) continue;
      const outside = importRefusal(this.#settings.root, this.#settings.fsJail.dataDir, candidate, specifier, fromFile);
      if (outside) return `!${outside}`;
      if (!isServedAsStatic(candidate)) return candidate;
      // `./util` found util/index.js: the folder is what to rename.
      const renamed = candidate.endsWith('/index.js') ? path.posix.dirname(candidate) : candidate;
      const fix = `rename ${renamed} to _${path.posix.basename(renamed)}`;
      return (
        `!Cannot import '${specifier}' in ${fromFile}: ${candidate} is served to anyone as a static file ` +
        `(its source, and any key in it, can be downloaded). A partial must be private: ${fix}, or move ` +
        'it into a folder whose name starts with _ (such as _lib/).'
      );
    }
    const js = withJs.length > candidates.length ? ' (nor .js)' : '';
    const looked = `no file ${candidates.join(' or ')}${js}`;
    return `!Cannot import '${specifier}' in ${fromFile}: ${looked} in the scripts folder`;
  }

  /** Compiles and runs a partial; returns '' or a RawScriptError as JSON. */
  #runPartial(file: string): '' | Json<RawScriptError> {
    try {
      const source = this.#read(file);
      const compiled = compileTypeScript(source, file);
      this.#run(file, source, compiled, wrapModule(compiled.code, file));
      return '';
    } catch (error) {
      const info =
        error instanceof ScriptError
          ? error.info
          : { name: 'Error', message: String(error), line: undefined, column: undefined };
      // A position in the source already: the frame maps it onto itself.
      const source = this.#files.get(file)?.source ?? '';
      this.#files.set(file, { source, position: (line, column) => ({ line, column }) });
      const frames = info.line ? [{ file, line: info.line, column: info.column ?? 1 }] : [];
      const raw: RawScriptError = { name: info.name, message: info.message, frames };
      return toJson(raw);
    }
  }
}

/** `file:line:column` of a script or partial in a stack. */
const SOURCE_POSITION = /([^\s()]+\.[cm]?[jt]s):(\d+):(\d+)/g;

/** The files a partial may be: TypeScript, or JavaScript (ESM compiled to CommonJS, or CommonJS). */
const PARTIAL_FILE = /\.(?:ts|js|mjs|cjs)$/;

/** A file run in a sandbox: its source, and positions in the VM -> positions in the source. */
interface LoadedFile {
  source: string;
  position(line: number, column: number): { line: number; column: number };
}

function loadedFile(source: string, compiled: CompiledCode): LoadedFile {
  return {
    source,
    position: (vmLine, column) => {
      const line = Math.max(1, vmLine - WRAPPER_LINES);
      return { line, column: compiled.sourceColumn(line, column) };
    },
  };
}

/** V8 reports a syntax error as `file:line`, the line, and a caret under the column. */
function syntaxError(error: unknown, file: string, loaded: LoadedFile): ScriptError {
  if (error instanceof ScriptError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const match = /^[^\n]*:(\d+)\n([^\n]*)\n( *)\^/.exec(stack);
  const position = match ? loaded.position(Number(match[1]), (match[3] as string).length + 1) : undefined;
  const hint = /await is only valid/.test(message) ? ' (top-level await works in page scripts, not in partials)' : '';
  const name = error instanceof Error ? error.name : 'SyntaxError';
  return new ScriptError({ code: 'COMPILE_ERROR', name, message: message + hint, file, ...position }, loaded.source);
}
