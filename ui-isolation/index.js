// Tauri isolation hook: every IPC message from the main UI passes through
// here (in a sandboxed iframe) before Tauri encrypts and forwards it.
// For now it passes payloads through unchanged; validation of command
// arguments can be added here later.
window.__TAURI_ISOLATION_HOOK__ = (payload) => {
  return payload;
};
