/**
 * Parameter trees: a tensor, a list of trees, or a dict of trees with string keys. Layers keep
 * their parameters and state in trees; optimizers map over them; paths (`layers.0.weight`) are
 * the checkpoint keys.
 *
 * @example
 * ```ts
 * import { Ptree } from '@raven/kaun';
 * const tree = { layers: [{ weight: w, bias: b }] };
 * Ptree.flattenWithPaths(tree); // [['layers.0.weight', w], ['layers.0.bias', b]]
 * console.log(Ptree.format(tree));
 * ```
 * @module
 */
export { type Tree, type TreeDict, type Flattened, map, map2, mapWithPath, fold, leaves, flatten } from './tree.js';
export { flattenWithPaths, fromPaths, paths, get, getTensor, has } from './paths.js';
export { type FormatOptions, zerosLike, onesLike, countParameters, sameStructure, dispose, format } from './utils.js';
