import { SvdecodeError } from '@svdecode/core';
import { Redis, type RedisOptions } from 'ioredis';

/** How long a connection attempt may take before Redis counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** BullMQ's lowest supported Redis. */
const MIN_REDIS_MAJOR = 5;

/**
 * `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS) as connection options.
 * Bad URLs are BAD_ARGUMENT; the password never appears in messages.
 */
export function redisOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl(url, 'not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw badUrl(url, 'not redis://');
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw badUrl(url, `database "${db}" is not a number`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    ...(db === '' ? {} : { db: Number(db) }),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The URL as it may be printed: without its password. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid URL>';
  }
}

function badUrl(url: string, why: string): SvdecodeError {
  return new SvdecodeError('BAD_ARGUMENT', `--queue ${redactRedisUrl(url)}: ${why}`, {
    hint: 'Give the queue as redis://host:port[/db], e.g. redis://127.0.0.1:6379/0 (redis://:password@host:port with a password).',
  });
}

/**
 * Connects once, pings and checks the server's version, so that an unreachable or refusing Redis
 * is a clear error now (QUEUE_UNREACHABLE, QUEUE_REFUSED) instead of BullMQ retrying forever.
 */
export async function checkRedis(url: string): Promise<{ version: string }> {
  const where = redactRedisUrl(url);
  const client = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // the event carries the cause (NOAUTH, ECONNREFUSED); the promise only says the connection closed
  let cause: unknown;
  client.on('error', (error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
    const info = await client.info('server');
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? '0';
    if (Number(version.split('.')[0]) < MIN_REDIS_MAJOR)
      throw new SvdecodeError('QUEUE_REFUSED', `Redis at ${where} is version ${version}`, {
        hint: `BullMQ needs Redis ${MIN_REDIS_MAJOR} or newer (Debian: apt-get install redis-server).`,
      });
    return { version };
  } catch (error) {
    throw redisError(error instanceof SvdecodeError ? error : (cause ?? error), where);
  } finally {
    client.disconnect();
  }
}

/** A connection or command failure as one of our codes. */
export function redisError(error: unknown, where: string): SvdecodeError {
  if (error instanceof SvdecodeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(message))
    return new SvdecodeError('QUEUE_REFUSED', `Redis at ${where} refused the connection: ${message}`, {
      hint: 'The server needs a password: give it in the URL, redis://:password@host:port (or redis://user:password@host:port with ACLs).',
      cause: error,
    });
  if (/^(ERR|NOPERM|READONLY|MISCONF|LOADING|OOM)\b/.test(message))
    return new SvdecodeError('QUEUE_REFUSED', `Redis at ${where} refused a command: ${message}`, {
      cause: error,
    });
  return new SvdecodeError('QUEUE_UNREACHABLE', `cannot reach Redis at ${where}: ${message}`, {
    cause: error,
  });
}
