/**
 * What the host handed this sandbox (see `SandboxBoot`), taken from the global it came through,
 * which is deleted at once so that scripts never see it.
 */
import type { SandboxBoot } from '../api.js';

const bootGlobal = globalThis as unknown as { __pagewireBoot?: SandboxBoot };
export const boot = bootGlobal.__pagewireBoot as SandboxBoot;
delete bootGlobal.__pagewireBoot;

export const { port, script: mainScript } = boot;

/** A file relative to the scripts folder, as scripts see it in `__filename`. */
export const absolute = (file: string): string => (file === '.' ? boot.root : `${boot.root}/${file}`);
export const dirnameOf = (file: string): string => (file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.');

/** The sandbox's global object, where scripts find `html`, `raw`, `json` and the guarded timers. */
export const sandboxGlobals = globalThis as unknown as Record<string, unknown>;
