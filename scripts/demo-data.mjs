// The local demo data, in one place: rows keyed by the D1 column names (see src/db/schema.ts).
// Times are epoch milliseconds, booleans 0/1 (via sqlValue), json columns arrays. user_counters
// is not listed: the triggers of migrations/0001_counters_triggers.sql fill it.
import { ms } from "./lib.mjs";

export const JOHN_ID = "507f1f77bcf86cd799439011";
export const OPSADMIN_ID = "507f1f77bcf86cd799439020";
const JANE_ID = "507f1f77bcf86cd799439021";
const AYSE_ID = "507f1f77bcf86cd799439022";
const MEHMET_ID = "507f1f77bcf86cd799439023";
const LUCAS_ID = "507f1f77bcf86cd799439024";

/** A complete registration: policies accepted, role "user", unless `row` says otherwise. */
function registered(row) {
  return {
    availability_status: "available",
    interests: [],
    privacy_policy_accepted: true,
    privacy_policy_version: "1.2.0",
    terms_of_use_accepted: true,
    terms_of_use_version: "1.1.0",
    consent_form_accepted: true,
    consent_form_version: "1.0.0",
    is_registration_complete: true,
    roles: ["user"],
    updated_at: row.created_at,
    ...row,
  };
}

export const users = [
  // The seed pages' example user (000/002 in ../shared/seeds), without a photo or deletion request.
  registered({
    id: JOHN_ID,
    username: "johndoe123",
    name: "John",
    surname: "Doe",
    email: "john.doe@example.com",
    availability_status: "available",
    country_code: "90",
    phone_number: "5551234567",
    gender: "male",
    birth_date: ms("1995-06-15T00:00:00.000Z"),
    interests: ["music", "sports", "travel", "cooking", "reading"],
    expertise: "designer",
    bio: "Passionate about technology and travel",
    instagram: "myinstagram",
    tiktok: "mytiktok",
    x: "mytwitterx",
    snapchat: "mysnapchat",
    facebook: "myfacebook",
    last_login: ms("2024-01-15T09:30:00.000Z"),
    created_at: ms("2024-01-15T10:30:00.000Z"),
    updated_at: ms("2024-01-15T12:30:00.000Z"),
  }),
  registered({
    id: OPSADMIN_ID,
    username: "opsadmin",
    name: "Ops",
    surname: "Admin",
    email: "ops.admin@example.com",
    roles: ["user", "admin"],
    created_at: ms("2024-01-10T08:00:00.000Z"),
  }),
  registered({
    id: JANE_ID,
    username: "janesmith",
    name: "Jane",
    surname: "Smith",
    email: "jane.smith@example.com",
    gender: "female",
    interests: ["music", "photography"],
    created_at: ms("2024-01-16T11:00:00.000Z"),
  }),
  registered({
    id: AYSE_ID,
    username: "ayse.yilmaz",
    name: "Ayşe",
    surname: "Yılmaz",
    email: "ayse.yilmaz@example.com",
    gender: "female",
    availability_status: "busy",
    created_at: ms("2024-01-17T09:15:00.000Z"),
  }),
  registered({
    id: MEHMET_ID,
    username: "mehmet_demir",
    name: "Mehmet",
    surname: "Demir",
    email: "mehmet.demir@example.com",
    gender: "male",
    created_at: ms("2024-01-18T14:45:00.000Z"),
  }),
  registered({
    id: LUCAS_ID,
    username: "lucasmartin",
    name: "Lucas",
    surname: "Martin",
    email: "lucas.martin@example.com",
    gender: "prefer_not_to_say",
    created_at: ms("2024-01-19T16:20:00.000Z"),
  }),
];

export const follows = [
  // johndoe123's 3 followers.
  { follower_id: JANE_ID, followee_id: JOHN_ID, created_at: ms("2024-01-20T10:00:00.000Z") },
  { follower_id: AYSE_ID, followee_id: JOHN_ID, created_at: ms("2024-01-21T10:00:00.000Z") },
  { follower_id: MEHMET_ID, followee_id: JOHN_ID, created_at: ms("2024-01-22T10:00:00.000Z") },
  // The 2 users johndoe123 follows.
  { follower_id: JOHN_ID, followee_id: JANE_ID, created_at: ms("2024-01-20T12:00:00.000Z") },
  { follower_id: JOHN_ID, followee_id: LUCAS_ID, created_at: ms("2024-01-23T12:00:00.000Z") },
];

export const liveStreams = [
  // johndoe123's 4 live streams.
  {
    id: "65a5b1c0f1e2d3c4b5a69701",
    user_id: JOHN_ID,
    title: "Morning coffee and design talk",
    started_at: ms("2024-01-20T08:00:00.000Z"),
    ended_at: ms("2024-01-20T09:00:00.000Z"),
  },
  {
    id: "65a5b1c0f1e2d3c4b5a69702",
    user_id: JOHN_ID,
    title: "Travel stories: Istanbul",
    started_at: ms("2024-01-27T18:00:00.000Z"),
    ended_at: ms("2024-01-27T19:30:00.000Z"),
  },
  {
    id: "65a5b1c0f1e2d3c4b5a69703",
    user_id: JOHN_ID,
    title: "Cooking night",
    started_at: ms("2024-02-03T19:00:00.000Z"),
    ended_at: ms("2024-02-03T20:15:00.000Z"),
  },
  {
    id: "65a5b1c0f1e2d3c4b5a69704",
    user_id: JOHN_ID,
    title: "Reading club",
    started_at: ms("2024-02-10T20:00:00.000Z"),
    ended_at: null,
  },
  // Someone else's, so the counters visibly belong to one user each.
  {
    id: "65a5b1c0f1e2d3c4b5a69705",
    user_id: JANE_ID,
    title: "Jam session",
    started_at: ms("2024-02-11T21:00:00.000Z"),
    ended_at: ms("2024-02-11T22:00:00.000Z"),
  },
];
