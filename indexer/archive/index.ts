/** ZIP containers (DOCX and whatever else arrives zipped): the one guard every path goes through. */

export { RATIO_GRACE_BYTES } from './inflate-count.ts';
export { type ArchiveLimits, looksLikeZip } from './zip-directory.ts';
export { archiveLimits, type GuardedZip, guardZip } from './zip-guard.ts';
