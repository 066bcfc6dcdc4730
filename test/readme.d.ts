// Vite turns `?raw` imports into the file's text (see test/readme.test.ts).
declare module "*?raw" {
  const text: string;
  export default text;
}
