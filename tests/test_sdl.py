"""The committed SDL is the schema: a change to the schema must update schema/schema.graphql."""

from schema.schema import SDL_PATH, sdl


def test_committed_sdl_matches_the_code():
    assert SDL_PATH.read_text(encoding="utf-8") == sdl(), (
        "schema/schema.graphql is stale: run `wenming schema > schema/schema.graphql` and commit it"
    )


def test_every_type_field_argument_and_enum_value_is_described():
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLInterfaceType

    from schema.schema import schema

    missing = []
    for name, gtype in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not gtype.description:
            missing.append(name)
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for fname, f in gtype.fields.items():
                if not f.description:
                    missing.append(f"{name}.{fname}")
                for aname, a in getattr(f, "args", {}).items():
                    if not a.description:
                        missing.append(f"{name}.{fname}({aname})")
        if isinstance(gtype, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, d in gtype.values.items() if not d.description]
    assert missing == []
