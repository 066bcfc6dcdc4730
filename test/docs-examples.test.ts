import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { demoSql } from "../scripts/seed.mjs";
import { shardBinding, shardOf } from "../src/lib/shards";
import { call, createUser, tokenFor } from "./helpers";

type Schema = { $ref?: string; example?: unknown };
type Operation = { requestBody?: { content: Record<string, { schema: Schema }> } };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const { body } = await call("/openapi.json");
const document = body as unknown as Document;

const resolve = (schema: Schema) =>
  schema.$ref ? (document.components.schemas[schema.$ref.split("/").pop() ?? ""] ?? schema) : schema;

// Every operation whose JSON body the document shows an example of: what "Try it out" sends.
const examples = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).flatMap(([method, operation]) => {
    const schema = operation.requestBody?.content["application/json"]?.schema;
    const example = schema && resolve(schema).example;
    return example === undefined
      ? []
      : [[`${method.toUpperCase()} ${path}`, { path, method, example }] as const];
  }),
);

beforeAll(async () => {
  // The database `npm run dev` starts with: the demo users hold their usernames and emails. Each row
  // goes to the shard of every demo user it names (a follow to both of its users').
  const statements = demoSql().split("\n").filter(Boolean);
  const idsIn = (statement: string) =>
    [...statement.matchAll(/'([0-9a-f]{24})'/g)].map((match) => match[1] ?? "");
  const userIds = new Set(statements.filter((statement) => statement.includes("`users`")).flatMap(idsIn));
  for (const statement of statements) {
    const shards = new Set(
      idsIn(statement)
        .filter((id) => userIds.has(id))
        .map((id) => shardOf(env, id)),
    );
    for (const shard of shards) await shardBinding(env, shard).prepare(statement).run();
  }
});

it("the document shows examples of the profile, username and deletion bodies", () => {
  expect(examples.map(([name]) => name)).toEqual(
    expect.arrayContaining([
      "PUT /api/v1/users/profile",
      "PATCH /api/v1/users/profile/username",
      "POST /api/v1/users/me/account-deletion",
    ]),
  );
});

it.each(examples)("%s: the example succeeds for a new user next to the demo data", async (name, example) => {
  // As `npm run dev:user -- <name>` creates them.
  const username = `newcomer${examples.findIndex(([other]) => other === name)}`;
  const user = await createUser({ username, email: `${username}@dev.example.com` });
  const { status, body: answer } = await call(example.path, {
    method: example.method.toUpperCase(),
    token: await tokenFor(user.id),
    json: example.example,
  });
  expect(status, JSON.stringify(answer.errors)).toBe(200);
});
