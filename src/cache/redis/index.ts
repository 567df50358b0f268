/**
 * `symphainy/redis`: the cache tier in Redis, as a `cache` object. Needs the
 * optional peer dependency `ioredis`. The `cache: 'redis://host:6379'`
 * option alone does not need this entry point.
 * @module
 */
export { RedisCache, type RedisCacheOptions } from './redis-cache.ts';
