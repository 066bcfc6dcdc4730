/** The demo data as one SQL script, one statement a line (tests load it to check for collisions). */
export function demoSql(): string;
export function seed(): Promise<void>;
