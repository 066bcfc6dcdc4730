// The servers the docs page offers; the docs page's CSP allows calls to them.
export const SERVERS = [
  { url: "http://localhost:8787", description: "Development", "x-internal": true },
  { url: "https://api.example.com", description: "Production", "x-internal": false },
];
