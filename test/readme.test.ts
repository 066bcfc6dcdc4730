import { expect, it } from "vitest";
import readme from "../README.md?raw";
import { ProfileUpdateSchema } from "../src/features/profile/profile.schemas";

/** The backticked names in the first column of the table under `heading`. */
function firstColumnNames(heading: string): string[] {
  const section = readme.slice(readme.indexOf(heading));
  const table = section.slice(section.indexOf("\n|"), section.indexOf("\n\n", section.indexOf("\n|")));
  return table
    .split("\n")
    .slice(3)
    .flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/`(\w+)`/g)].map((match) => match[1] ?? ""));
}

it("the README's table of PUT /users/profile fields lists exactly the fields the schema accepts", () => {
  const documented = firstColumnNames("### The fields `PUT /users/profile` accepts");
  expect(documented.toSorted()).toEqual(Object.keys(ProfileUpdateSchema.shape).toSorted());
});

it("the README links the contract inside the repository", () => {
  expect(readme).toContain("](docs/API.md)");
  expect(readme).not.toContain("../shared/");
});
