export { default } from "../../../../node_modules/zod/v4/locales/tr.js";
