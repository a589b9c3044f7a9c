import { IsInt, IsString, MetadataStorage, getMetadataStorage, validateSync } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

describe(cacheValidationMetadata.name, () => {
  // A storage of its own, so the cache under test is not the process-wide one the app installs.
  const storage = new MetadataStorage();

  it('answers the same rules as class-validator, looked up once per class, and forgets them when a rule is added', () => {
    class Parent {
      @IsInt()
      amount!: number;
    }
    class Child extends Parent {
      @IsString()
      note!: string;
    }
    const global = getMetadataStorage();
    for (const target of [Parent, Child]) {
      for (const m of global.getTargetValidationMetadatas(target, '', false, false)) storage.addValidationMetadata(m);
    }
    const direct = storage.getTargetValidationMetadatas(Child, '', false, false);
    const lookUp = jest.spyOn(storage, 'getTargetValidationMetadatas');
    cacheValidationMetadata(storage);
    const first = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(first.map((m) => `${m.propertyName}:${m.name ?? m.type}`).sort()).toEqual(
      direct.map((m) => `${m.propertyName}:${m.name ?? m.type}`).sort(),
    );
    expect(storage.getTargetValidationMetadatas(Child, '', false, false)).toBe(first);
    expect(lookUp).toHaveBeenCalledTimes(1);
    // Other options are another answer.
    expect(storage.getTargetValidationMetadatas(Child, '', false, false, ['g'])).not.toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));

    storage.addValidationMetadata({ ...direct[0], propertyName: 'extra' });
    const after = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(after).not.toBe(first);
    expect(after.some((m) => m.propertyName === 'extra')).toBe(true);
  });

  it('leaves validation as it was: a bad field is still refused, a good one passes', () => {
    cacheValidationMetadata();
    class Body {
      @IsInt()
      amount!: number;
    }
    const body = Object.assign(new Body(), { amount: 'x' });
    expect(validateSync(body).map((e) => e.property)).toEqual(['amount']);
    expect(validateSync(Object.assign(new Body(), { amount: 5 }))).toEqual([]);
  });
});
