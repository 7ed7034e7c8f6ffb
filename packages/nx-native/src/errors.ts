/**
 * The one error type of the installer. Its `code` says what was missing or went wrong, its
 * message what to do about it.
 * @module
 */

/**
 * What went wrong, as a stable code:
 * - `platform`: not Linux x64/arm64, or a Node without Node-API 8.
 * - `no-python`: no Python interpreter to ask for TensorFlow.
 * - `no-tensorflow`: Python has no `tensorflow` module, or a folder/wheel holds no TensorFlow C library.
 * - `bad-path`: the TensorFlow path given does not exist or is neither a wheel nor a TensorFlow folder.
 * - `bad-wheel`: the wheel file cannot be read as a zip archive.
 * - `no-compiler`: no C++17 compiler (`$CXX`, `g++`, `c++`, `clang++`).
 * - `no-node-headers`: Node's `node_api.h` was not found.
 * - `sources`: tfjs-node's binding sources are not the ones this installer can extend.
 * - `compile`: the compiler or linker failed.
 * - `check`: the built binding did not load or did not compute `1 + 2 = 3`.
 * - `npm`: npm could not fetch or install the tfjs-node package.
 * - `project`: the project folder has no package.json.
 */
export type NativeErrorCode =
  | 'platform'
  | 'no-python'
  | 'no-tensorflow'
  | 'bad-path'
  | 'bad-wheel'
  | 'no-compiler'
  | 'no-node-headers'
  | 'sources'
  | 'compile'
  | 'check'
  | 'npm'
  | 'project';

/** An install or check step failed; `code` says which, the message says what to do. */
export class NativeInstallError extends Error {
  /** What went wrong (see {@link NativeErrorCode}). */
  readonly code: NativeErrorCode;
  /** Creates the error; `cause` is passed on to `Error`. */
  constructor(code: NativeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeInstallError';
    this.code = code;
  }
}
