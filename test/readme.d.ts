// Vite turns `?raw` imports into the file's text (test/readme.test.ts, test/openapi-document.test.ts,
// test/routes-index.test.ts).
declare module "*?raw" {
  const text: string;
  export default text;
}

// Vite's eager glob of raw files (test/routes-index.test.ts): path to text.
interface ImportMeta {
  glob<T>(pattern: string, options: { query: "?raw"; import: "default"; eager: true }): Record<string, T>;
}
