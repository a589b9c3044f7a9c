// class-transformer keeps its decorators' metadata in this module (the one its own plainToInstance
// reads); the package ships its types under types/ rather than beside the code.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
