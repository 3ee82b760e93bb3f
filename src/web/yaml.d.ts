// The preset configs are bundled as text (esbuild's text loader, src/serve/build-web.ts).
declare module "*.yaml" {
  const text: string;
  export default text;
}
