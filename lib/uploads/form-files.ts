import type { UploadedFile } from './uploaded-file.js';

/** Files by field name, without a prototype: `__proto__` is a field like any other. */
export type FormFiles = Record<string, UploadedFile[]>;

export function newFormFiles(): FormFiles {
  return Object.create(null) as FormFiles;
}

/** Adds a file under its field, after those the field already has. */
export function addFile(files: FormFiles, field: string, file: UploadedFile): void {
  const list = files[field];
  if (list) list.push(file);
  else files[field] = [file];
}
