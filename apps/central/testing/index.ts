/**
 * Test fixtures for anything built on central (`@tillsync/central/testing`): a real central
 * on port 0 with its own PostgreSQL database and Redis key prefix. Dev only: never built.
 */
export { startTestCentral, type TestCentral } from "./test-central";
export { useTestCentral, type TestCentralFixture } from "./use-test-central";
