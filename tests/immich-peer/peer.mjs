// Speaks for a running Immich v2.7.5 server on its Redis restart channel, with Immich's own
// packages: a socket.io Server on @socket.io/redis-adapter over two ioredis connections.
//
// Environment: REDIS_SOCKET (a Unix socket path) or REDIS_HOSTNAME/REDIS_PORT; PEER_MODE = "ok"
// (default: acknowledge AppRestart with 'ok', like MaintenanceService.onRestart), "silent" (never
// acknowledge) or "answer:<text>" (acknowledge with <text>).
// PEER_COMMANDS: a file the test appends lines to; "emit true" / "emit false" is Immich entering /
// leaving maintenance (its own sender writes the maintenance-mode record first; the test does
// that): serverSideEmitWithAck('AppRestart', {isMaintenanceMode: true / false}).
// Stdout: one JSON object per line: {"event":"ready","uid":...} once subscribed,
// {"event":"AppRestart","payload":{...}} for each AppRestart received, and for each emit
// {"event":"emitted","responses":[...]} or {"event":"emit-failed","message":...,"responses":[...]}.
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { existsSync, readFileSync } from 'node:fs';
import { Server } from 'socket.io';

const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const redisOptions = process.env.REDIS_SOCKET
  ? { path: process.env.REDIS_SOCKET }
  : { host: process.env.REDIS_HOSTNAME || 'redis', port: Number(process.env.REDIS_PORT || 6379) };
const mode = process.env.PEER_MODE || 'ok';

const pubClient = new Redis(redisOptions);
const subClient = pubClient.duplicate();
const io = new Server();
io.adapter(createAdapter(pubClient, subClient));

io.on('AppRestart', (payload, ack) => {
  print({ event: 'AppRestart', payload });
  if (mode === 'ok') ack('ok');
  else if (mode.startsWith('answer:')) ack(mode.slice('answer:'.length));
});

const emit = async (isMaintenanceMode) => {
  try {
    const responses = await io.serverSideEmitWithAck('AppRestart', { isMaintenanceMode });
    print({ event: 'emitted', responses });
  } catch (error) {
    print({ event: 'emit-failed', message: String(error?.message ?? error), responses: error?.responses ?? [] });
  }
};
let commandsRead = 0;
const readCommands = () => {
  const text = existsSync(process.env.PEER_COMMANDS ?? '') ? readFileSync(process.env.PEER_COMMANDS, 'utf8') : '';
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const line of complete.slice(commandsRead).split('\n')) {
    const [command, value] = line.trim().split(/\s+/);
    if (command === 'emit') emit(value === 'true');
  }
  commandsRead = complete.length;
};

// ioredis runs commands in order: once this resolves, the adapter's own SUBSCRIBE has been done.
await subClient.subscribe('keepsake-peer-ready');
print({ event: 'ready', uid: io.of('/').adapter.uid });
setInterval(readCommands, 50);

const stop = () => {
  io.close();
  pubClient.disconnect();
  subClient.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
