/**
 * A file a browser uploaded, as a script sees it: in `request.files` (a multipart POST) and in
 * an upload's `onFile` (`pw-upload`). The bytes are in a temporary file owned by the request or
 * the page, under `<dataDir>/.uploads/`, where a script's `fs` may read and move it: what is
 * still there when the request is answered (or the page dies) is deleted.
 */
export interface UploadedFile {
  /** The browser's name for the file, made safe: no folder, no control character, at most 200 bytes. */
  name: string;
  /** Bytes received. */
  size: number;
  /** The media type the browser claimed; for an image, checked against the bytes' signature. */
  type: string;
  /** SHA-256 of the bytes (hex), computed by the server as they arrived. */
  sha256: string;
  /** Where the bytes are: absolute, inside `dataDir`; `fs.renameSync(file.path, dest)` keeps them. */
  path: string;
}
