export { startSshd, freePort, descendants, isRoot, SSHD_PATH } from './sshd.js';
export type { StartSshdOptions, TestSshd } from './sshd.js';
export { ensureTestUser, TEST_USER } from './test-user.js';
export type { TestUser } from './test-user.js';
export { OutputWatcher } from './output-watcher.js';
export { startNginx, NGINX_PATH } from './nginx.js';
export type { StartNginxOptions, TestNginx } from './nginx.js';
