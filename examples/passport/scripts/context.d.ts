// What server.ts's `context` option gives the scripts as `request.context`: declaration merging
// of Pagewire's global `PagewireContext`, so that `request.context.user` is typed.
interface PagewireContext {
  user: { id: string; name: string } | null;
}
