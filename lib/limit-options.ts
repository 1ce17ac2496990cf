/**
 * The limits among `pagewire()`'s options: how large, how many and how fast what browsers and
 * scripts send may be. Part of `PagewireOptions` (options.ts), which gives their defaults.
 */
export interface LimitOptions {
  /**
   * Largest socket message accepted from a browser, in bytes; a larger one closes the socket (1009).
   * @default 65536
   */
  maxMessageBytes?: number;
  /**
   * Largest request body read for `request.body`, in bytes (after decompression); past it, 413.
   * @default 1048576
   */
  maxBodyBytes?: number;
  /**
   * Pushes kept for a page until its browser acknowledges them (while it is disconnected, or
   * four times as many bytes in flight while connected). Past either bound the page expires.
   * @default 1000
   */
  maxBufferedPushes?: number;
  /**
   * The same bound in bytes.
   * @default 1048576
   */
  maxBufferedBytes?: number;
  /**
   * Pushes kept for every page together, in bytes (counted as JSON text, like
   * `maxBufferedBytes`). Past it, what closed pages kept for their browser is dropped first, then
   * a disconnected page that pushes more expires. Pages connected or not yet connected are never
   * expired by it.
   * @default 268435456
   */
  maxTotalBufferedBytes?: number;
  /**
   * With workers: the heap limit of each worker, in bytes (V8's old generation).
   * @default 536870912
   */
  maxWorkerHeapBytes?: number;
  /**
   * With workers: the most memory a worker may hold, in bytes: its V8 heap and the memory outside
   * it (`Buffer`s, `ArrayBuffer`s), which the heap limit does not count. Past it the worker is
   * ended like a stuck one: its pages reload, and the script that ran is quarantined.
   * @default 1073741824
   */
  maxWorkerMemoryBytes?: number;
  /**
   * Largest body a render may produce, in bytes (UTF-8): the echo that passes it fails the render
   * (500), and no more of the body is kept.
   * @default 10485760
   */
  maxResponseBytes?: number;
  /**
   * Largest Buffer, ArrayBuffer or typed array a script may allocate at once, or receive from
   * `fs.readFile` without an encoding, in bytes (vm2's `bufferAllocLimit`). A host Buffer crosses
   * vm2's bridge key by key (about 1 s of CPU and 64 MiB of heap per MiB of Buffer), so a much
   * larger one holds its worker for seconds, or runs V8 out of heap, which ends the process.
   * @default 1048576
   */
  maxScriptBufferBytes?: number;
  /** Largest `shared` key, in UTF-8 bytes. Keys are names (`chat:lobby`): 1 KiB is long for a name.
   * @default 1024
   */
  maxSharedKeyBytes?: number;
  /** Largest `shared` value or list item, in bytes of JSON: each call carries it whole (as `maxBodyBytes`).
   * @default 1048576
   */
  maxSharedValueBytes?: number;
  /** Bytes the shared store holds in all (keys, values, overheads), in the server's heap: 64 MiB, room to spare.
   * @default 67108864
   */
  maxSharedBytes?: number;
  /**
   * Live pages one browser session may hold; past it its oldest unconnected page closes, else the
   * render gets a new session.
   * @default 64
   */
  maxPagesPerSession?: number;
  /**
   * Live pages in all; past it the oldest unconnected, then disconnected, page closes, else 503.
   * @default 100000
   */
  maxPages?: number;
  /**
   * Pages rendered and never connected; past it the oldest closes (rendering never fails).
   * @default 10000
   */
  maxPendingPages?: number;
  /**
   * Disconnected pages kept for their browser to come back; past it the oldest closes.
   * @default 10000
   */
  maxDisconnectedPages?: number;
  /**
   * Client events per second on one socket; past it the socket is slowed down (RATE_LIMITED).
   * @default 200
   */
  maxEventsPerSecond?: number;
  /**
   * Events waiting in one page's mailbox; past it events are refused (QUEUE_FULL).
   * @default 100
   */
  maxQueuedEvents?: number;
  /**
   * Largest uploaded file, in bytes, over the socket (`pw-upload`) or in a multipart POST: past it
   * an upload is refused before its bytes are sent, a POST answers 413. A script's `maxFileSize`
   * (`page.allowUpload`) may only lower it.
   * @default 104857600
   */
  maxUploadFileBytes?: number;
  /**
   * Most files in one upload or one multipart POST (a script's `maxFiles` may only lower it).
   * @default 20
   */
  maxUploadFiles?: number;
  /**
   * Bytes of uploads under way for one browser session (each upload counts its declared size
   * from its start to its end): past it a new upload is refused before its bytes are sent.
   * @default 1073741824
   */
  maxUploadSessionBytes?: number;
  /**
   * The same bound for the whole server.
   * @default 4294967296
   */
  maxUploadServerBytes?: number;
  /**
   * Ms an upload under way may go without a byte (its socket down included): then it fails, and
   * its temporary files are removed. Pages that keep their uploads across longer drops raise it.
   * @default 60000
   */
  uploadStallTimeout?: number;
}

/** The upload options among the limits. */
export type UploadOptions = Pick<
  LimitOptions,
  'maxUploadFileBytes' | 'maxUploadFiles' | 'maxUploadSessionBytes' | 'maxUploadServerBytes' | 'uploadStallTimeout'
>;
