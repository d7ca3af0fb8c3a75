// A plain `fetch` Worker for the workerd benchmark: the floor every framework adds to.
const TEXT = { "Content-Type": "text/plain; charset=UTF-8" };

export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/") return new Response("Hello, world", { headers: TEXT });
    if (path === "/json") return Response.json({ message: "Hello, world" });
    return new Response("Not Found", { status: 404, headers: TEXT });
  },
};
