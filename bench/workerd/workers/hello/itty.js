// Hello world for the bundle-size comparison: itty-router 5's AutoRouter.
import { AutoRouter, text } from "itty-router";

const router = AutoRouter();
router.get("/", () => text("Hello, world"));

export default router;
