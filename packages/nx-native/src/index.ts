/**
 * `@raven/nx-native`: installs the native TensorFlow backend of `@raven/nx`.
 *
 * It builds `@tensorflow/tfjs-node`'s binding (or `-gpu`'s, for a CUDA build of TensorFlow)
 * against a TensorFlow you already have (a pip wheel file, an unpacked `tensorflow/` folder,
 * or Python's), links it to that TensorFlow's libraries where they are, checks it, and installs
 * the package from the npm registry without its download script. Use the `raven-nx-native`
 * command; the functions here are what it runs.
 * @module @raven/nx-native
 */
export { install, type InstallOptions, type InstallResult } from './install.js';
export { check, type CheckOptions, type CheckResult, type Finding } from './doctor.js';
export { NativeInstallError, type NativeErrorCode } from './errors.js';
export { MANIFEST_FILE, type NativeManifest } from './project.js';
export type { TensorflowInstall, TensorflowOrigin } from './tensorflow/install.js';
export type { BindingReport } from './build/verify.js';
export type { ProjectReport } from './project.js';
export type { TfjsPackage } from './build/sources.js';
