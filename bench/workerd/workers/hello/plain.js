// Hello world for the bundle-size comparison: a plain fetch Worker, the floor.
export default {
  fetch() {
    return new Response("Hello, world");
  },
};
