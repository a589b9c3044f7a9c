import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type TargetMetadatas = ReturnType<Storage['getTargetValidationMetadatas']>;
type Grouped = ReturnType<Storage['groupByPropertyName']>;

const installed = new WeakSet<Storage>();
let generation = 0;

/** Goes up whenever a validation rule or constraint is registered: what was read from the rules before is stale. */
export function validationMetadataGeneration(): number {
  return generation;
}

/**
 * class-validator looks a DTO's rules up again on every validation: it filters the class's
 * metadata and walks every registered class to find its parents (a few hundred `instanceof`
 * checks per validated object, nested ones included), then groups the result by property. The
 * rules are fixed once the DTO classes are loaded, so the answer is kept per class and options,
 * and forgotten whenever a rule or constraint is registered (decorators run at load time; a class
 * loaded later clears the cache). The arrays are shared: class-validator only reads them.
 *
 * Installed once, before the first request (createValidationPipe). See docs/performance.md.
 */
export function cacheValidationMetadata(storage: Storage = getMetadataStorage()): void {
  if (installed.has(storage)) return;
  installed.add(storage);
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const addMetadata = storage.addValidationMetadata.bind(storage);
  const addConstraint = storage.addConstraintMetadata.bind(storage);
  let targets = new Map<unknown, Map<string, TargetMetadatas>>();
  let grouped = new WeakMap<TargetMetadatas, Grouped>();
  const forget = (): void => {
    generation += 1;
    targets = new Map();
    grouped = new WeakMap();
  };

  storage.getTargetValidationMetadatas = (targetConstructor, targetSchema, always, strictGroups, groups) => {
    // The usual call (no schema, no groups) is keyed without building a string.
    const key =
      !targetSchema && (groups === undefined || groups.length === 0)
        ? (always ? 'a' : '') + (strictGroups ? 's' : '')
        : `${targetSchema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let byOptions = targets.get(targetConstructor);
    if (byOptions === undefined) {
      byOptions = new Map();
      targets.set(targetConstructor, byOptions);
    }
    let found = byOptions.get(key);
    if (found === undefined) {
      found = lookUp(targetConstructor, targetSchema, always, strictGroups, groups);
      byOptions.set(key, found);
    }
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (found === undefined) {
      found = group(metadata);
      grouped.set(metadata, found);
    }
    return found;
  };
  storage.addValidationMetadata = (metadata) => {
    forget();
    addMetadata(metadata);
  };
  storage.addConstraintMetadata = (metadata) => {
    forget();
    addConstraint(metadata);
  };
}
