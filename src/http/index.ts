export { url } from './url.js';
