import type { Cluster, Redis } from 'ioredis';

/** A single server's connection or a Redis Cluster's: the commands taskapp sends are the same. */
export type RedisClient = Redis | Cluster;
