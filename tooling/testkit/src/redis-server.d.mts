export declare const REDIS_SERVER: string;
export declare function freePort(): Promise<number>;
export declare function startRedisServer(options?: {
  password?: string;
}): Promise<{ url: string; port: number; stop: () => Promise<void> }>;
