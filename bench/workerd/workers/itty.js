// itty-router on Workers for the workerd benchmark (opt-in): AutoRouter, the recommended
// entry of itty-router 5, which turns returned strings and objects into responses.
import { AutoRouter, text } from "itty-router";

const router = AutoRouter();
router.get("/", () => text("Hello, world"));
router.get("/json", () => ({ message: "Hello, world" }));

export default router;
