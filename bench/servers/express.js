// Hello world in Express 5, default settings.
import express from "express";
import { BODY, ready } from "./ready.js";

const app = express();
app.get("/", (req, res) => {
  res.send(BODY);
});
const server = app.listen(0, "127.0.0.1", () => ready(server.address().port));
