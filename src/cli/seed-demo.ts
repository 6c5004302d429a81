// The demo data lives with the directory so that `npm start -- --demo` can seed it too.
export { seedDemo, DEMO_LOGINS } from '../directory/demo.js';
