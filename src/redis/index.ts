/** Redis as Sluice's shared state across instances: one way to connect, for every user of it. */
export {
  RedisConnection,
  redactUrl,
  type RedisClient,
  type RedisConnectionOptions,
} from './connection.ts';
