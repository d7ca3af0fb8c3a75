/**
 * Cyclone's core without its optional features: `cyclone/tiny`.
 *
 * The same exports as `cyclone`, but importing it installs none of the features that
 * `RequestHandler` and `Application` reach through slots (signed cookies and XSRF,
 * locales, templates and UI modules, multipart bodies, static files, gzip), so a bundler
 * keeps only what an app uses. Import a feature to install it
 * (`import "cyclone/features/signing"`); a method whose feature is missing throws
 * `FeatureNotInstalledError` naming the import. For Workers, where bundle size is
 * start-up time; on Node use `cyclone` or `cyclone/node`.
 * @module
 */

export {
  Application,
  type ApplicationSettings,
  DEFAULT_LIMITS,
  HandlerDelegate,
  type HandlerClass,
  type ListeningServer,
  type ListenOptions,
  type OutputTransformFactory,
  registerListenHost,
} from "./application.js";
export { ClientDisconnectedError, Finish, HTTPError, type HTTPErrorOptions, MissingArgumentError } from "./errors.js";
export { CookieError, type CookieOptions, cookieQuote, formatSetCookie } from "./cookies.js";
export { addslash, authenticated, removeslash, streamRequestBody, type StreamingHandlerClass } from "./decorators.js";
export * from "./signing.js";
export * from "./escape.js";
export { type FetchHandlerOptions } from "./fetch.js";
export {
  type ArgumentMap,
  type Chunk,
  cookieUnquote,
  currentHttpDate,
  formatTimestamp,
  type HTTPConnection,
  type HTTPFile,
  HTTPHeaders,
  HTTPInputError,
  HTTPServerRequest,
  type HTTPServerRequestInit,
  normalizeHeaderName,
  parseCookie,
  parseQsBytes,
  RESPONSES,
  type ResponseStartLine,
  splitHostAndPort,
} from "./httputil.js";
export {
  accessLog,
  appLog,
  formatMessage,
  genLog,
  getLogger,
  type LogHandler,
  Logger,
  LogLevel,
  type LogLevelName,
  type LogRecord,
} from "./log.js";
export {
  AnyMatches,
  DefaultHostMatches,
  HostMatches,
  type InitArgs,
  type Matcher,
  type MatchResult,
  PathMatches,
  type ReversibleRouter,
  ReversibleRuleRouter,
  type RouteMatch,
  RoutePatternError,
  type Router,
  Rule,
  RuleRouter,
  type RuleSpec,
  type RuleTarget,
  translatePattern,
  url,
  URLSpec,
} from "./routing.js";
export { VERSION } from "./version.js";
export {
  allowedMethods,
  type EtagHasher,
  setEtagHasher,
  type ErrorInfo,
  ErrorHandler,
  type GetSignedCookieOptions,
  type SignedCookieOptions,
  type HeaderValue,
  type OutputTransform,
  RedirectHandler,
  RequestHandler,
  type WriteChunk,
} from "./web.js";
export * from "./locale.js";
export * from "./locks.js";
export * from "./queues.js";
export * from "./httpclient.js";
export { type HTTPTransport, type HTTPTransportCapabilities, type TransportRequest, type TransportResponse, fetchTransport } from "./httpclient-transport.js";
export * from "./template/index.js";
export {
  BUILTIN_UI_MODULES,
  insertModuleAssets,
  registerTemplateLoaderFactory,
  type TemplateLoader,
  TemplateModule,
  type TemplateResources,
  type UIMethod,
  UIModule,
  type UIModuleClass,
} from "./uimodule.js";
export { GZIP_MIN_LENGTH, GZipContentEncoding, gzipTransform, isCompressibleType } from "./gzip.js";
export {
  type KeyStorage,
  type KeyStorageListOptions,
  MemoryKeyStorage,
  stateful,
  type StatefulHandlerClass,
  type StateKeyFunction,
  stateKeyOf,
} from "./stateful.js";
export * from "./static.js";
export {
  DEFAULT_MULTIPART_LIMITS,
  type MultipartOptions,
  parseBodyArguments,
  parseHeaderParams,
  parseMultipartFormData,
} from "./multipart.js";
export * from "./websocket.js";
export * from "./sse.js";
export { type FetchApp, type FetchFunction, FallbackError, FallbackHandler } from "./fallback.js";
export {
  FeatureNotInstalledError,
  type FeatureName,
  type Features,
  feature,
  type GzipFeature,
  hasFeature,
  installFeature,
  type LocaleFeature,
  type MultipartFeature,
  type SigningFeature,
  type StaticFeature,
  type TemplatesFeature,
} from "./features.js";
export { MultipartError, type MultipartErrorCode } from "./form-body.js";
