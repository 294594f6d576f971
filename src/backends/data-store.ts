/** Content-addressed blobs (large arguments are stored once under their sha256). */
export interface DataStore {
  /** Stores `data` under `key` (its sha256); storing the same key twice keeps one copy. */
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  has(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  /** Number of blobs and their total bytes. */
  stats(): Promise<{ count: number; bytes: number }>;
}
