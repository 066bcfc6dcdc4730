/** The demo data as one SQL script, one statement a line (tests load it to check for collisions). */
export function demoSql(): string;
/** Each local database's share of the demo data, keyed by binding. */
export function demoSqlByDatabase(emailSecret: string, shards?: string[]): Promise<Map<string, string[]>>;
export function seed(): Promise<void>;
