import { env } from "cloudflare:workers";
import { emails, usernames } from "../src/db/directory-schema";
import { directoryOf, emailHash } from "../src/users/directory";

/** What registration does in the directory: the user's username and email, claimed and applied. */
export async function registerInDirectory(user: {
  id: string;
  username: string | null;
  email: string | null;
}) {
  const directory = directoryOf(env);
  const now = new Date();
  if (user.username) {
    await directory.insert(usernames).values({ username: user.username, userId: user.id, claimedAt: now });
  }
  if (user.email) {
    const emailHashed = await emailHash(env, user.email);
    await directory.insert(emails).values({ emailHash: emailHashed, userId: user.id, claimedAt: now });
  }
}
