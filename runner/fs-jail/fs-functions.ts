/**
 * What each function of `fs` and `fs/promises` takes, argument by argument: the lists the jailed
 * facade is generated from (facade.ts). A function Node adds is in neither list until someone
 * says what it takes: test/unit/fs-jail.test.ts fails until then, and the facade leaves it out.
 *
 * Kinds: `r` a path read, `R` read without following a final link (lstat, readlink); `w` a path
 * written, `W` written without following a final link (unlink, rename); `d` a file descriptor, `D` one
 * whose file changes (write, fchmod: it must have been opened for writing);
 * `rf`/`wf` a path or a descriptor (readFile, writeFile), the access said by the `flag` option;
 * `o` open's path, the access said by its flags; `rs`/`ws` a stream's path or its `fd` option;
 * `t` a symbolic link's target; `p` mkdtemp's prefix (checked as the folder it makes); `cp` a copy's
 * filter, which checks every file the copy takes.
 */
export type ArgKind = 'r' | 'R' | 'w' | 'W' | 'd' | 'D' | 'rf' | 'wf' | 'o' | 'rs' | 'ws' | 't' | 'p' | 'cp';

/** Functions of `fs`: their `Sync` twins take the same arguments (one callback less). */
export const FS_FUNCTIONS: Readonly<Record<string, readonly ArgKind[]>> = {
  access: ['r'],
  appendFile: ['wf'],
  chmod: ['w'],
  chown: ['w'],
  copyFile: ['r', 'w'],
  cp: ['r', 'w', 'cp'],
  exists: ['r'],
  lchmod: ['W'],
  lchown: ['W'],
  link: ['W', 'W'],
  lstat: ['R'],
  lutimes: ['W'],
  mkdir: ['w'],
  mkdtemp: ['p'],
  open: ['o'],
  opendir: ['r'],
  readdir: ['r'],
  readFile: ['rf'],
  readlink: ['R'],
  realpath: ['r'],
  rename: ['W', 'W'],
  rm: ['W'],
  rmdir: ['W'],
  stat: ['r'],
  statfs: ['r'],
  symlink: ['t', 'W'],
  truncate: ['wf'],
  unlink: ['W'],
  utimes: ['w'],
  writeFile: ['wf'],
  close: ['d'],
  fchmod: ['D'],
  fchown: ['D'],
  fdatasync: ['D'],
  fstat: ['d'],
  fsync: ['D'],
  ftruncate: ['D'],
  futimes: ['D'],
  read: ['d'],
  readv: ['d'],
  write: ['D'],
  writev: ['D'],
};

/** Functions of `fs` with no `Sync` twin. */
export const FS_ASYNC_ONLY: Readonly<Record<string, readonly ArgKind[]>> = {
  openAsBlob: ['r'],
  watch: ['r'],
  watchFile: ['r'],
  unwatchFile: ['r'],
  createReadStream: ['rs'],
  createWriteStream: ['ws'],
};

/** Stream classes of `fs`, which take a path when constructed (`new fs.ReadStream(path)`). */
export const FS_STREAM_CLASSES: Readonly<Record<string, ArgKind>> = {
  ReadStream: 'rs',
  FileReadStream: 'rs',
  WriteStream: 'ws',
  FileWriteStream: 'ws',
};

/**
 * What `fs` exports that opens nothing by a name: classes a script meets as values (a `Dir` is
 * made by `opendir`, from a handle no script can make), constants. Handed over as they are.
 */
export const FS_PATH_FREE: readonly string[] = [
  'Dirent',
  'Stats',
  'Dir',
  '_toUnixTimestamp',
  'F_OK',
  'R_OK',
  'W_OK',
  'X_OK',
  'constants',
  'promises',
];

/**
 * `fs/promises` (and `fs.promises`): `fs`'s functions that take a path (no descriptor functions:
 * a FileHandle has its own methods; no `exists`), with its two differences.
 */
export const PROMISES_FUNCTIONS: Readonly<Record<string, readonly ArgKind[]>> = {
  ...Object.fromEntries(
    Object.entries(FS_FUNCTIONS).filter(
      ([name, kinds]) => name !== 'exists' && !kinds.includes('d') && !kinds.includes('D'),
    ),
  ),
  // Its truncate takes a path only (a FileHandle truncates itself); its watch is an async iterator.
  truncate: ['w'],
  watch: ['r'],
};

export const PROMISES_PATH_FREE: readonly string[] = ['constants'];
