import { PortResource, AppResource } from '../src/model/resources.ts';
import { z } from 'zod';
const r = PortResource.safeParse({apiVersion:'hiy/v1',kind:'Port',metadata:{name:'Bad_'},spec:{image:'x', foo:1, healthcheck:{interval:'2x'}, routes:[{host:'a.b',port:80}]}});
console.log(JSON.stringify(r.error?.issues,null,1));
console.log(JSON.stringify(AppResource.parse({apiVersion:'hiy/v1',kind:'App',metadata:{name:'a'},spec:{source:{git:'/x'}}})));
console.log(JSON.stringify(z.toJSONSchema(PortResource,{io:'input'})).slice(0,600));
