// Vite turns `?raw` imports into the file's text (test/readme.test.ts, test/openapi-document.test.ts).
declare module "*?raw" {
  const text: string;
  export default text;
}
