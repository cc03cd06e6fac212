export {
  AdminKeyAuthenticator,
  credentialOf,
  keyPrefix,
  type Authenticator,
  type Principal,
} from './authenticator.ts';
