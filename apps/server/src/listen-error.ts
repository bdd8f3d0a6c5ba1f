// Why the server could not listen, in words that say what to change: the port taken, a port that needs
// privileges, an address this machine does not have. Formatting only; main.ts decides to exit.

/** A sentence for a `listen()` error on `host:port`, naming the port and the setting to change. */
export function describeListenError(error: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return (
        `port ${port} is already in use on ${host} (another termrelay, or another server?). ` +
        `Stop it, or choose another port: PORT=${port === 8080 ? 8081 : port + 1}, or listen.port in the config.`
      );
    case 'EACCES':
      return (
        `not allowed to listen on ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE. ` +
        'Choose a port above 1023 (PORT, or listen.port) and put a proxy in front.'
      );
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: this machine has no address ${host}. Check listen.host (or HOST).`;
    default:
      return `cannot listen on ${where}: ${error.message}`;
  }
}
