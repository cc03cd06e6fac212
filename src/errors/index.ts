/**
 * Every error Sluice raises, one class per failure (see `base.ts`). Nothing else in the project
 * extends `Error`: a new failure gets its class here, with its status and code.
 */
export {
  SluiceError,
  LocalError,
  describeCause,
  type ErrorKind,
  type ErrorOptions,
} from './base.ts';
export { ERROR_CODES, isErrorCode, type ErrorCode } from './codes.ts';
export {
  AmbiguousKeyError,
  ConflictError,
  ConversationNotFoundError,
  InvalidExpiryError,
  InvalidFieldError,
  InvalidJsonError,
  InvalidPathError,
  InvalidProbeParameterError,
  InvalidQueryError,
  InvalidRequestError,
  InvalidUsernameError,
  KeyNotFoundError,
  LastAdminError,
  MethodNotAllowedError,
  ModelNotFoundError,
  ModelRequiredError,
  NoUpstreamError,
  ObjectNotFoundError,
  ClientClosedError,
  PayloadTooLargeError,
  RequestTimeoutError,
  SetupDoneError,
  UnknownFieldError,
  UnknownUrlError,
  UnsupportedMediaTypeError,
  UserNotFoundError,
  UsernameTakenError,
  WeakPasswordError,
} from './request.ts';
export {
  AccountDisabledError,
  AdminOnlyError,
  AuthenticationError,
  CrossOriginError,
  SetupHostError,
  CsrfError,
  ModelNotAllowedError,
  ModelNotPricedError,
  BackgroundNotMeteredError,
  SharedSourceError,
  ToolNotPricedError,
  NoUserError,
  RouteNotAllowedError,
} from './access.ts';
export {
  BudgetHeldError,
  InsufficientQuotaError,
  RateLimitExceededError,
  TooManyProbesError,
  TooManySignInAttemptsError,
  TooManyStreamsError,
} from './limits.ts';
export {
  CountersUnavailableError,
  InternalError,
  ServerBusyError,
  ShuttingDownError,
  StoreUnavailableError,
  UsageBacklogError,
} from './service.ts';
export {
  GatewayRefusalError,
  UpstreamAuthFailedError,
  UpstreamErrorTooLargeError,
  UpstreamHttpError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  upstreamMessage,
  type TimeoutPhase,
} from './upstream.ts';
export {
  AddressError,
  CertificateError,
  type CertificateFacts,
  CommandFailure,
  ConfigError,
  ListenError,
  NginxSyntaxError,
  UsageError,
} from './local.ts';
